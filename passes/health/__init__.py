"""Whether the backing services answer: the health answers for load balancers (``views``) and
the one reading of which service an exception says is away (``outages``)."""
