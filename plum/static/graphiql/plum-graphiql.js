// Starts GraphiQL against the endpoint that served this page. Every operation needs a bearer token,
// typed into the Headers tab (opened on load); headers are not stored in the browser.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var defaultQuery = [
    "# Plum GraphQL: every operation needs a token.",
    "# Put yours in the Headers tab below, then re-fetch",
    "# the schema (the arrows on the left) for completion.",
    "{",
    "  employees(first: 5) {",
    "    totalCount",
    "    edges {",
    "      node { employeeId wallet { balance } }",
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");
  ReactDOM.render(
    React.createElement(GraphiQL, {
      fetcher: GraphiQL.createFetcher({ url: root.dataset.endpoint }),
      defaultQuery: defaultQuery,
      defaultHeaders: '{\n  "Authorization": "Bearer <token>"\n}',
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    }),
    root,
  );
})();
