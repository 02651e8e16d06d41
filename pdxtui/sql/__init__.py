"""SQL across datasets: polars SQL (``pl.SQLContext``) over the rows of the datasets a user has open.

* :mod:`pdxtui.sql.names`: a dataset's short, stable, readable table name (``street_trees``).
* :mod:`pdxtui.sql.tables`: the tables available (:class:`Tables`, :class:`Table`): a dataset, its loaded rows,
  whether they are all of its rows.
* :mod:`pdxtui.sql.engine`: running a query (in polars' own threads; cancellable), the tables a query names, and
  polars' errors as one line (:class:`SqlError`).
* :mod:`pdxtui.sql.history`: the last queries per portal, in the user data folder.

Plain Python: the CLI (``pdxtui sql``) and the app's SQL screen share it. polars is imported inside functions.
"""
