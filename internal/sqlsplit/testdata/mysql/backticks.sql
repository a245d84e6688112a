CREATE TABLE `semi;colon` (`a``b;` INT, `--not a comment` INT);
SELECT `semi;colon`.`a``b;` FROM `semi;colon`;
SELECT "double; quoted" AS `alias;`;
