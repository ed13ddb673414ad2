"""The analyses: indicators, gaps, efficiency, peers, scorecards, trends, process charts, actions and topics, computed from the tables."""
