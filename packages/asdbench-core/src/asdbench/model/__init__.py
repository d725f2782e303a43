"""Networks and losses' parts: the reference embedding network, the training-free floor and
the angular-margin building blocks losses share."""
