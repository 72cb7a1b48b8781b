"""`devcli acp`: devcli as an Agent Client Protocol server for editors (Zed, JetBrains, Neovim).

A thin adapter: each ACP session drives one `Agent` in interactive mode, the same loop as the
REPL, in a worker thread; its events become session updates, its questions become permission
requests, and the editor tool reads and writes through the client when the client offers to.
"""
