"""Model backends behind one small interface (``ChatModel``), and the model registry."""
