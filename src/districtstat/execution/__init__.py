"""Running the notebooks: papermill tasks, warm runs forked from a fork server, Dask dispatch, and verification of a release."""
