"""The set-up pages' own pieces (forms, the tracker wizard, the flow builder's form, words
for trackers): no business rules, which stay in the services they call."""
