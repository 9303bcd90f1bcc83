"""The emulator's Lake Formation patch: a second grant for the same principal and resource is merged into the
stored permission, and revoking afterwards still works (unpatched moto loses the object in its set: KeyError,
HTTP 500, and `terraform destroy` retries until it times out)."""

from tests.emulator.launcher import apply_patches


def test_grants_merged_for_one_principal_and_resource_can_be_revoked():
    apply_patches()
    import moto.lakeformation.models as lf

    def grant(*perms):
        return lf.Permission(
            {"DataLakePrincipalIdentifier": "arn:aws:iam::1:role/r"},
            {"Database": {"Name": "d"}},
            list(perms),
            [],
        )

    catalog = lf.PermissionCatalog()
    catalog.add_permission(grant("DESCRIBE"))
    catalog.add_permission(grant("SELECT", "ALTER"))  # merged into the first
    [merged] = catalog.permissions
    assert sorted(merged.permissions) == ["ALTER", "DESCRIBE", "SELECT"]
    catalog.remove_permission(grant("DESCRIBE"))
    [left] = catalog.permissions
    assert sorted(left.permissions) == ["ALTER", "SELECT"]
    catalog.remove_permission(grant("SELECT", "ALTER"))
    assert not catalog.permissions
