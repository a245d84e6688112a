// Package sqlsplit cuts SQL migration scripts into statements, following the
// lexical rules of each engine family.
//
// Database drivers run one statement per call, so a migration file must be
// cut before it is sent. Cutting at every ";" is wrong: semicolons appear in
// string literals, quoted identifiers, comments and the bodies of triggers
// and routines. [Split] reads a script with one small scanner shared by all
// families and switches on the [Family] only where the engines differ.
//
// # What ends a statement
//
// A ";" ends a statement unless it is inside one of:
//
//   - a single-quoted string (a doubled quote stands for one; MySQL also
//     accepts backslash escapes such as 'it\'s');
//   - a double-quoted identifier (a string in MySQL, with backslash escapes);
//   - a backtick identifier (MySQL, SQLite) or a [bracket] identifier
//     (SQLite);
//   - a "--" line comment (in MySQL only when a blank or control character
//     follows: "--x" is not a comment there), a "#" line comment (MySQL) or
//     a block comment (nested in PostgreSQL);
//   - a MySQL executable comment, /*! ... */ or MariaDB's /*M! ... */;
//   - a PostgreSQL dollar-quoted body, $$ ... $$ or $tag$ ... $tag$ (not a
//     $1 placeholder), or an E'...' string with backslash escapes;
//   - the body of a trigger or routine (see below).
//
// # Trigger and routine bodies
//
// When a statement starts with CREATE [OR REPLACE] [DEFINER=...]
// [TEMP|TEMPORARY] and a routine kind, Split follows the nesting of its
// compound statements and ends the statement only at a ";" outside them:
//
//   - SQLite: CREATE TRIGGER ... BEGIN ... END, with CASE ... END inside.
//   - MySQL and MariaDB: CREATE TRIGGER, PROCEDURE, FUNCTION or EVENT, with
//     BEGIN ... END, CASE ... END [CASE], IF ... END IF, LOOP ... END LOOP,
//     WHILE ... END WHILE, REPEAT ... END REPEAT and FOR ... END FOR. IF,
//     LOOP, WHILE, REPEAT and FOR count only where a statement begins, so the
//     IF() and REPEAT() functions are not mistaken for blocks.
//   - PostgreSQL: CREATE FUNCTION or PROCEDURE with a SQL-standard body,
//     BEGIN ATOMIC ... END. Other PostgreSQL bodies are dollar quoted.
//
// Any other statement, including a plain "BEGIN;" that opens a transaction,
// ends at its first ";".
//
// # MySQL DELIMITER
//
// As in the mysql client, a line that starts with DELIMITER (in any case)
// between statements changes the delimiter to the first word after it until
// the next DELIMITER line; the rest of that line is ignored, and the line
// itself is not a statement. Under a delimiter other than ";", only the
// delimiter ends a statement, wherever it appears outside quotes and
// comments, and bodies are not tracked.
//
//	DELIMITER //
//	CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW
//	BEGIN
//	  SET NEW.a = 1;
//	END//
//	DELIMITER ;
//
// # Statements
//
// Each [Statement] holds its text exactly as written, without the comments
// and whitespace before its first token, the whitespace after it and the
// delimiter; comments after the first token are kept. Statements that are
// empty or only comments are dropped, and a last statement without a
// delimiter is kept. Line is the line of the first token; "\n" and "\r\n"
// both count as one line break.
//
// # Errors
//
// A script with an unterminated quote, block comment, dollar quote or
// trigger/routine body, or a DELIMITER line without an argument, yields an
// [*Error] whose Line is where the construct opens:
//
//	line 12: unterminated string literal
//
// # Limits
//
// Split is a lexer, not a parser. It does not understand psql or mysql
// client commands other than DELIMITER (\connect, COPY ... FROM stdin data,
// SOURCE), MySQL's NO_BACKSLASH_ESCAPES or ANSI_QUOTES modes, or
// PostgreSQL's standard_conforming_strings=off.
package sqlsplit
