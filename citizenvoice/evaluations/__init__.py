"""Internal evaluations by evaluation subjects (superiors, deputies, experts, peers, self)."""
