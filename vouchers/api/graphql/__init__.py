"""GraphQL door of the vouchers app: types, queries and mutations around the same services as REST."""

from vouchers.api.graphql.mutations import VouchersMutation
from vouchers.api.graphql.queries import VouchersQuery

__all__ = ["VouchersMutation", "VouchersQuery"]
