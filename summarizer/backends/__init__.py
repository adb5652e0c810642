"""Model backends: how a structured request reaches a model (litellm, an OpenAI-compatible server, the embedded llama.cpp)."""
