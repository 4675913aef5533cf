"""What the platform keeps about people and for how long: the nightly retention purge of
every kind of record, and the erasure of one person on request. It reaches into every app
below it (calls, texts, forms, visits, the webhook and email logs), so it sits above them."""
