"""The people who use the system."""

from dataclasses import dataclass


@dataclass
class User:
    name: str
    email: str

    def display(self) -> str:
        return f"{self.name} <{self.email}>"
