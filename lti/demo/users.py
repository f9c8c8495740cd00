"""The people of an emulated Moodle course (demo LMS and test platform)."""

from __future__ import annotations

from dataclasses import dataclass

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
INSTITUTION_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"
SYSTEM_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"


@dataclass(frozen=True)
class EmulatedUser:
    sub: str  # Moodle user id
    username: str
    given_name: str
    family_name: str
    email: str
    roles: tuple[str, ...]
    person_sourcedid: str = ""
    description: str = ""

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


DEMO_USERS = (
    EmulatedUser(
        "21",
        "cmartin",
        "Camille",
        "Martin",
        "camille.martin@demo.example",
        (LEARNER,),
        "AG-DGFIP-0001",
        "agent DGFIP",
    ),
    EmulatedUser(
        "22",
        "kbenali",
        "Karim",
        "Benali",
        "karim.benali@demo.example",
        (LEARNER,),
        "AG-DOUANE-0002",
        "agent Douane",
    ),
    EmulatedUser(
        "23",
        "sleroy",
        "Sophie",
        "Leroy",
        "sophie.leroy@demo.example",
        (INSTRUCTOR,),
        "",
        "formatrice (Instructor)",
    ),
    EmulatedUser(
        "2",
        "admin",
        "Admin",
        "PACNum",
        "admin@demo.example",
        (INSTITUTION_ADMIN, INSTRUCTOR, SYSTEM_ADMIN),
        "",
        "administrateur (Administrator)",
    ),
)
