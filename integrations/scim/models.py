"""SCIM identities of employees, and SCIM groups (business units by their code)."""

import uuid

from django.db import models
from django.db.models.functions import Lower

from users.models import Employee, TenantOwned


class ScimIdentity(TenantOwned):
    """What SCIM knows of an employee beyond the employee itself. The SCIM id is the employee's id.

    Employees created by other doors (REST, sync, HRMS) get one when SCIM first lists or reads them
    (`provisioned` false, userName their email). A DELETE keeps the row (`deleted_at`): the employee is
    deactivated and keeps its history, and SCIM answers 404 for it from then on."""

    employee = models.OneToOneField(Employee, primary_key=True, on_delete=models.CASCADE, related_name="scim_identity")
    user_name = models.CharField(max_length=255, help_text="Unique per organisation, whatever its case.")
    external_id = models.CharField(max_length=255, null=True, blank=True, help_text="The identity provider's id.")
    email_type = models.CharField(max_length=64, blank=True, help_text="`type` of the employee's email entry.")
    email_primary = models.BooleanField(null=True, blank=True, help_text="`primary` of the employee's email entry.")
    organization = models.CharField(max_length=255, blank=True, help_text="The enterprise `organization`, as sent.")
    provisioned = models.BooleanField(default=False, help_text="Written by an identity provider (not only listed).")
    deleted_at = models.DateTimeField(null=True, blank=True, help_text="Deleted through SCIM: 404 from then on.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SCIM identity"
        verbose_name_plural = "SCIM identities"
        constraints = [
            models.UniqueConstraint(
                "organisation",
                Lower("user_name"),
                condition=models.Q(deleted_at__isnull=True),
                name="scim_user_name_per_org",
            )
        ]
        indexes = [models.Index(fields=["organisation", "external_id"], name="scim_identity_external_id")]

    def __str__(self) -> str:
        return self.user_name


class ScimGroup(TenantOwned):
    """A SCIM group is a business unit: its displayName is the unit's code and its members are the
    employees of that unit. Business units in use get one when SCIM first lists groups."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    display_name = models.CharField(max_length=64, help_text="The business unit's code.")
    external_id = models.CharField(max_length=255, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SCIM group"
        constraints = [models.UniqueConstraint(fields=["organisation", "display_name"], name="scim_group_name_per_org")]

    def __str__(self) -> str:
        return self.display_name
