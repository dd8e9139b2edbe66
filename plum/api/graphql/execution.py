"""Execution: a field's arguments that cannot be coerced are the client's error, not the server's.

Validation catches almost every bad argument before execution, but not all: a variable with a default
that the client sends as an explicit null, used where a non-null value is needed, is only found when
graphql-core coerces the field's arguments, inside execution. Left alone it would look like any failure
of a resolver (an internal error); here it is reported as `bad_request`, decided where it is parsed.
"""

from graphql import ExecutionContext, GraphQLError, located_error
from graphql.execution.execute import get_field_def
from graphql.execution.values import get_argument_values


class PlumExecutionContext(ExecutionContext):
    def execute_field(self, parent_type, source, field_nodes, path):
        field_def = get_field_def(self.schema, parent_type, field_nodes[0])
        if field_def is not None and field_def.args:
            try:  # coerced again by graphql-core below: cheap, and only for fields with arguments
                get_argument_values(field_def, field_nodes[0], self.variable_values)
            except GraphQLError as error:
                refused = GraphQLError(error.message, error.nodes, extensions={"code": "bad_request"})
                self.handle_field_error(located_error(refused, field_nodes, path.as_list()), field_def.type)
                return None
            except Exception:  # noqa: BLE001, S110 - raised again below, where graphql-core handles it
                pass
        return super().execute_field(parent_type, source, field_nodes, path)
