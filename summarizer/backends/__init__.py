"""Model backends: how a structured request reaches a model.

litellm for hosted providers, the OpenAI SDK for OpenAI-compatible servers (the embedded
llama.cpp server and any ``SUMMARIZER_API_BASE``), and the embedded server itself.
"""
