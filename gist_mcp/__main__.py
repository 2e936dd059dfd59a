"""`python -m gist_mcp` and the `gist-mcp` command: the CLI, started with the garbage collector paused.

A start imports ~550 modules (the MCP SDK and pydantic build about a thousand classes), and the
collector would walk the growing heap some 200 times on the way (~60 ms, an eighth of a start) to
free next to nothing: what a start builds lives as long as the process. So it is paused here, before
anything heavy loads; once the server is built, `cli.started()` freezes what the start made (later
collections never walk it again) and turns the collector back on, before a single request is served.
"""

import gc


def main() -> None:
    """Entry point of the `gist-mcp` console script and of `python -m gist_mcp`."""
    gc.disable()
    from gist_mcp.cli import run

    run()


if __name__ == "__main__":
    main()
