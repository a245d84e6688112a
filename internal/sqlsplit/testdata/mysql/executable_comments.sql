/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
/*!50503 SET character_set_client = utf8mb4; SET x = 1 */;
CREATE TABLE t (a INT) /*!50100 PARTITION BY HASH (a); */;
/*M!100100 SET sql_mode = 'STRICT_ALL_TABLES' */;
-- a plain comment before an executable one
/*!40000 ALTER TABLE t DISABLE KEYS */;
