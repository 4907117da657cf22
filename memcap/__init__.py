"""memcap: measure how much language models memorize. The book's chapters import this package."""

__version__ = "0.1.0"
