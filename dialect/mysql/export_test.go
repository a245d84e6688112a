package mysql

// MariaDBInspectQueries are the queries Tables sends with a schema
// parameter on MariaDB (MySQL reads checks with mysqlChecksSQL instead).
var MariaDBInspectQueries = []string{columnsSQL, indexesSQL, foreignKeysSQL, mariaChecksSQL}
