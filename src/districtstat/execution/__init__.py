"""Running the notebooks: papermill tasks, warm kernels from a fork server, Dask dispatch, and verification of a release."""
