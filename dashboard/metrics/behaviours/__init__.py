"""Perfect-customer behaviours: the catalogue and adoption against best-in-class."""
