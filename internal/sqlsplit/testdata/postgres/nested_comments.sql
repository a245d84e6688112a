/* outer /* inner; */ still a comment; */
SELECT 1;
SELECT /* a /* b /* c; */ */ ; */ 2;
SELECT 3 /*/ not closed by the slash; */;
