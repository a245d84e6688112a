-- Nothing to run; only comments.
/* block;
   comment */
--
