"""Evaluation: K samples per problem -> domain verifier -> Avg@K, pass@k, bootstrap CIs."""
