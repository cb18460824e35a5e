"""Typed trainer errors: they reach the CLI and the studio as {code, message} (the engine's codes),
so a message must say on its own what was wrong, where, and what was expected."""


class TrainerError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
