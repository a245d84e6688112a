-- Nothing to run; only comments.
# hash comment;
/* block;
   comment */
-- 
