"""The weekly planning meeting: the week's shows from the rules, and the conflicts between them."""
