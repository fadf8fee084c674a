"""Reading: the geodata, its schema and validator, the scenarios."""
