"""Recognition: certificates of service hours that anyone can verify by their code."""
