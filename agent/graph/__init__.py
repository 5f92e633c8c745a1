"""The run as one LangGraph graph: typed state, node functions, wiring. No I/O of its own:
side effects go through the ``Services`` the nodes are given."""
