"""Who is asking, and what they may do: users and their tokens, video membership, the studio's
login cookie, rate limits."""
