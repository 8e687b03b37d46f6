"""The pages people use: the sign-in page and the map front end (built from ``frontend/`` by Vite)."""
