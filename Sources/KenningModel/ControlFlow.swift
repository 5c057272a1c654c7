import KenningCore

/// Resolves a model's If nodes for known input shapes and control values: each If whose condition is then a constant
/// is replaced by the nodes of the branch it takes, repeatedly, so nested Ifs (often on shapes) resolve too.
public enum ControlFlow {
    /// True when `model` has an If node (at any depth).
    public static func hasControlFlow(_ model: Model) -> Bool {
        model.graph.nodes.contains { $0.opType == "If" || !$0.subgraphs.isEmpty }
    }

    /// `model` with every If inlined, given the runtime inputs' shapes and the values of `controlValues` (inputs that
    /// become constants). Fails, naming the node, when a condition depends on values only known while running.
    public static func resolved(_ model: Model, inputShapes: [String: [Int]], controlValues: [String: Tensor],
                                evaluate: @escaping NodeEvaluator) throws(KenningError) -> Model {
        var model = model
        for (name, value) in controlValues { model.graph.setInitializer(name, value) }
        var rounds = 0
        while let first = model.graph.nodes.firstIndex(where: { !$0.subgraphs.isEmpty }) {
            rounds += 1
            guard rounds <= 4096 else { throw .badInput("invalid model: its If nodes do not resolve", fix: "re-export the model") }
            let known = try ShapeInference.inferPartially(model, inputShapes: inputShapes, evaluate: evaluate).constants
            var inlined = false
            for index in model.graph.nodes.indices.reversed() where !model.graph.nodes[index].subgraphs.isEmpty {
                let node = model.graph.nodes[index]
                guard node.opType == "If", node.domain.isEmpty || node.domain == "ai.onnx" else {
                    throw .badInput("the native runtime cannot run \(node.label): only If's subgraphs are supported",
                                    fix: "use a runtime that supports \(node.opType), or export the model without it")
                }
                guard let condition = node.inputs.first.flatMap({ known[$0] }) else { continue }
                guard condition.count == 1 else {
                    throw .badInput("invalid model: \(node.label): its condition has \(condition.count) elements, not one",
                                    fix: "re-export the model")
                }
                let branchName = condition.floats[0] != 0 ? "then_branch" : "else_branch"
                guard case let .graph(branch)? = node[attribute: branchName] else {
                    throw .badInput("invalid model: \(node.label) has no \(branchName)", fix: "re-export the model")
                }
                guard branch.outputs.count == node.outputs.count else {
                    throw .badInput("invalid model: \(node.label): its \(branchName) has \(branch.outputs.count) outputs, the node \(node.outputs.count)",
                                    fix: "re-export the model")
                }
                model.graph.nodes.replaceSubrange(index...index, with: inline(branch, of: node, into: &model.graph))
                inlined = true
            }
            if !inlined {
                let node = model.graph.nodes[first]
                throw .badInput("the native runtime cannot run \(node.label): its condition \"\(node.inputs.first ?? "")\" is only known while running",
                                fix: "give the inputs the condition depends on fixed values, or use a runtime that runs If nodes (ONNXRuntime)")
            }
        }
        return model
    }

    /// The nodes that replace `node` by `branch`: the branch's own values renamed under the node's name, its
    /// initializers moved into `graph`, and an Identity from each branch output to the node's output.
    static func inline(_ branch: Graph, of node: Node, into graph: inout Graph) -> [Node] {
        let prefix = (node.name.isEmpty ? node.outputs.first ?? "if" : node.name) + "/"
        var renamed: [String: String] = [:]
        for name in branch.initializers.keys { renamed[name] = prefix + name }
        for input in branch.inputs { renamed[input.name] = prefix + input.name }
        for n in branch.nodes { for o in n.outputs where !o.isEmpty { renamed[o] = prefix + o } }
        for (name, t) in branch.initializers { graph.setInitializer(prefix + name, t) }
        var nodes = branch.nodes.map { rename($0, renamed, prefix: prefix) }
        for (output, value) in zip(node.outputs, branch.outputs) where !output.isEmpty {
            nodes.append(Node(name: prefix + "output:" + output, opType: "Identity", inputs: [renamed[value.name] ?? value.name], outputs: [output]))
        }
        return nodes
    }

    /// `node` with `renamed` applied to its values (and, for reads, inside its subgraphs), its name prefixed.
    static func rename(_ node: Node, _ renamed: [String: String], prefix: String) -> Node {
        var n = node
        n.name = prefix + node.name
        n.inputs = node.inputs.map { renamed[$0] ?? $0 }
        n.outputs = node.outputs.map { renamed[$0] ?? $0 }
        n.attributes = node.attributes.map { name, value in
            guard case var .graph(g) = value else { return (name, value) }
            g.nodes = g.nodes.map { inner in
                var r = rename(inner, renamed, prefix: "")
                r.name = inner.name
                r.outputs = inner.outputs
                return r
            }
            g.outputs = g.outputs.map { v in
                var v = v
                v.name = renamed[v.name] ?? v.name
                return v
            }
            return (name, .graph(g))
        }
        return n
    }
}
