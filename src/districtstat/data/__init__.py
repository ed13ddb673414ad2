"""The data stage: contracts that inputs must meet, the example datasets, and the aggregation of microdata into the analysis tables."""
