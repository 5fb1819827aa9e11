"""Stock media without the internet: the user's own library, then generated footage."""
