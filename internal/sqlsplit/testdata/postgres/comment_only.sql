-- Nothing to run here; only comments.
/* not even
   this; */

-- /* a line comment hiding a block opener
