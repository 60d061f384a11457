"""Stage pipeline: planner (DAG from a recipe), run store (atomic stage dirs + manifests), runner."""
