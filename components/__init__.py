"""Reusable Pulumi components of the DevSecOps mesh platform (NIST SP 800-204C).

Importing this package registers nothing; resources exist only once a component is constructed.
"""
