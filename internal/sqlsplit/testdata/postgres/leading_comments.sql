/*
 * Migration 004: fees.
 */

-- Table first.
   CREATE TABLE fees (amount numeric);
/* between */ -- and again
	INSERT INTO fees VALUES (1);
