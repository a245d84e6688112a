/*
 * Migration 004: fees.
 */

-- Table first.
   CREATE TABLE fees (amount NUMERIC);
/* between */ -- and again
	INSERT INTO fees VALUES (1);
