"""Typed trainer errors: they reach the CLI and the studio as {code, message} with the IPC
contract's codes (shared/ipc/result.ts: invalid_request, bad_input, not_found, unsupported,
engine_failed ...), so a message must say on its own what was wrong, where, and what was expected."""


class TrainerError(Exception):
    #: A preset or hyperparameters that cannot work (the CLI answers it as a usage error).
    hyperparameters = False

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class HyperparameterError(TrainerError):
    hyperparameters = True

    def __init__(self, message: str):
        super().__init__("invalid_request", message)
