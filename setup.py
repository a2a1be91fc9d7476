"""Package layout the pyproject table cannot express: resources/ (themes, icons, the sample
dataset) sits at the top level, fixed by the customer, and ships inside the wheel as the
`modelyard.resources` package so that `pip install .` starts styled, with icon and sample.
Everything else about the project is in pyproject.toml."""

from setuptools import find_packages, setup

RESOURCES = ["themes/*.qss", "icons/*.svg", "icons/*.png", "samples/*.csv", "*.desktop", "*.xml"]

setup(
    packages=[*find_packages("desktop", include=["modelyard*"]), "modelyard.resources"],
    package_dir={"": "desktop", "modelyard.resources": "resources"},
    package_data={
        "modelyard.store": ["migrations/*.py", "migrations/*.mako", "migrations/versions/*.py"],
        "modelyard.deploy": ["template/*"],
        "modelyard.resources": RESOURCES,
    },
    include_package_data=False,
)
