import Foundation
import KenningCore
import KenningModel

/// Reference kernels: ONNX's recurrent layers (RNN, GRU, LSTM), forward, reverse or bidirectional, with
/// sequence lengths, initial states, peepholes, clipping and both layouts.
extension Kernels {
    enum RecurrentCell: String, Sendable {
        case rnn = "RNN", gru = "GRU", lstm = "LSTM"

        var gates: Int {
            switch self {
            case .rnn: return 1
            case .gru: return 3
            case .lstm: return 4
            }
        }

        /// The activations a cell uses per direction, and ONNX's defaults for them.
        var activationsPerDirection: Int { self == .rnn ? 1 : self == .gru ? 2 : 3 }
        var defaultActivations: [String] { self == .rnn ? ["Tanh"] : self == .gru ? ["Sigmoid", "Tanh"] : ["Sigmoid", "Tanh", "Tanh"] }
    }

    /// A recurrent layer's attributes, read once.
    struct RecurrentSpec: Sendable {
        let cell: RecurrentCell
        let hidden: Int
        let directions: [Bool]  // true: reverse
        let activations: [[@Sendable (Float) -> Float]]  // per direction
        let clip: Float?
        let layout: Int
        let linearBeforeReset: Bool
        let inputForget: Bool

        init(node: Node) throws {
            guard let cell = RecurrentCell(rawValue: node.opType) else { throw KernelError(reason: "\(node.opType) is not a recurrent layer") }
            self.cell = cell
            hidden = node.int("hidden_size", default: 0)
            let direction = node.string("direction") ?? "forward"
            switch direction {
            case "forward": directions = [false]
            case "reverse": directions = [true]
            case "bidirectional": directions = [false, true]
            default: throw KernelError(reason: "direction \"\(direction)\" is not forward, reverse or bidirectional")
            }
            let per = cell.activationsPerDirection
            let names = node[attribute: "activations"].flatMap { if case let .strings(s) = $0 { return s } else { return nil } }
                ?? Array(repeating: cell.defaultActivations, count: directions.count).flatMap { $0 }
            guard names.count == per * directions.count else {
                throw KernelError(reason: "\(names.count) activations for \(directions.count) direction(s) of \(cell.rawValue); \(per * directions.count) expected")
            }
            var alphas = node.floatList("activation_alpha") ?? [], betas = node.floatList("activation_beta") ?? []
            var functions: [@Sendable (Float) -> Float] = []
            for name in names { functions.append(try Self.activation(name, alphas: &alphas, betas: &betas)) }
            activations = directions.indices.map { Array(functions[$0 * per..<($0 + 1) * per]) }
            clip = node[attribute: "clip"].flatMap { if case let .float(f) = $0 { return f } else { return nil } }
            layout = node.int("layout", default: 0)
            linearBeforeReset = node.int("linear_before_reset", default: 0) != 0
            inputForget = node.int("input_forget", default: 0) != 0
        }

        /// ONNX's activation functions for recurrent layers; those with parameters take them in order.
        static func activation(_ name: String, alphas: inout [Float], betas: inout [Float]) throws -> @Sendable (Float) -> Float {
            func take(_ list: inout [Float], _ d: Float) -> Float { list.isEmpty ? d : list.removeFirst() }
            switch name.lowercased() {
            case "sigmoid": return { 1 / (1 + expf(-$0)) }
            case "tanh": return { tanhf($0) }
            case "relu": return { max($0, 0) }
            case "leakyrelu":
                let a = take(&alphas, 0.01)
                return { $0 >= 0 ? $0 : a * $0 }
            case "thresholdedrelu":
                let a = take(&alphas, 1)
                return { $0 > a ? $0 : 0 }
            case "hardsigmoid":
                let a = take(&alphas, 0.2), b = take(&betas, 0.5)
                return { min(max(a * $0 + b, 0), 1) }
            case "affine":
                let a = take(&alphas, 1), b = take(&betas, 0)
                return { a * $0 + b }
            case "scaledtanh":
                let a = take(&alphas, 1), b = take(&betas, 1)
                return { a * tanhf(b * $0) }
            case "elu":
                let a = take(&alphas, 1)
                return { $0 >= 0 ? $0 : a * (expf($0) - 1) }
            case "softsign": return { $0 / (1 + abs($0)) }
            case "softplus": return { log1pf(expf($0)) }
            default: throw KernelError(reason: "recurrent activation \"\(name)\" is not supported")
            }
        }
    }

    /// Runs a recurrent layer: inputs X, W, R, B, sequence_lens, initial_h (and for LSTM initial_c, P).
    /// Outputs Y, Y_h (and for LSTM Y_c), in the node's layout.
    static func recurrent(_ spec: RecurrentSpec, _ a: [Tensor?]) throws -> [Tensor] {
        let x = try NativeSession.required(a, 0, "X"), w = try NativeSession.required(a, 1, "W"), r = try NativeSession.required(a, 2, "R")
        guard x.shape.count == 3 else { throw KernelError(reason: "X of shape \(x.shape) is not 3-D") }
        let (seq, batch, inputSize) = spec.layout == 0 ? (x.shape[0], x.shape[1], x.shape[2]) : (x.shape[1], x.shape[0], x.shape[2])
        let h = spec.hidden, g = spec.cell.gates, dirs = spec.directions.count
        guard h > 0, w.shape == [dirs, g * h, inputSize], r.shape == [dirs, g * h, h] else {
            throw KernelError(reason: "W \(w.shape) and R \(r.shape) do not fit \(dirs) direction(s), hidden size \(h) and input size \(inputSize)")
        }
        func optional(_ i: Int) -> Tensor? { i < a.count ? a[i] : nil }
        let bias = optional(3)
        if let bias, bias.shape != [dirs, 2 * g * h] { throw KernelError(reason: "B has shape \(bias.shape), expected \([dirs, 2 * g * h])") }
        let lengths = optional(4).map { $0.ints.map { Int($0) } } ?? Array(repeating: seq, count: batch)
        guard lengths.count == batch, lengths.allSatisfy({ $0 >= 0 && $0 <= seq }) else {
            throw KernelError(reason: "sequence_lens \(lengths) do not fit a batch of \(batch) and \(seq) steps")
        }
        let stateShape = spec.layout == 0 ? [dirs, batch, h] : [batch, dirs, h]
        for (i, what) in [(5, "initial_h"), (6, "initial_c")] where i < a.count {
            if let t = a[i], t.shape != stateShape { throw KernelError(reason: "\(what) has shape \(t.shape), expected \(stateShape)") }
        }
        let peepholes = spec.cell == .lstm ? optional(7) : nil
        if let peepholes, peepholes.shape != [dirs, 3 * h] { throw KernelError(reason: "P has shape \(peepholes.shape), expected \([dirs, 3 * h])") }
        let xv = x.floats, wv = w.floats, rv = r.floats, bv = bias?.floats
        let h0 = optional(5)?.floats, c0 = spec.cell == .lstm ? optional(6)?.floats : nil, pv = peepholes?.floats
        // Element index of (time t, batch b) in X, of state (direction d, batch b), of output (t, d, b).
        func xIndex(_ t: Int, _ b: Int) -> Int { spec.layout == 0 ? (t * batch + b) * inputSize : (b * seq + t) * inputSize }
        func stateIndex(_ d: Int, _ b: Int) -> Int { spec.layout == 0 ? (d * batch + b) * h : (b * dirs + d) * h }
        func yIndex(_ t: Int, _ d: Int, _ b: Int) -> Int { spec.layout == 0 ? ((t * dirs + d) * batch + b) * h : ((b * seq + t) * dirs + d) * h }
        var y = [Float](repeating: 0, count: seq * dirs * batch * h)
        var yh = [Float](repeating: 0, count: dirs * batch * h), yc = yh
        let clip = spec.clip
        func clipped(_ v: Float) -> Float { clip.map { min(max(v, -$0), $0) } ?? v }
        for (d, reverse) in spec.directions.enumerated() {
            let f = spec.activations[d]
            let wBase = d * g * h * inputSize, rBase = d * g * h * h, bBase = d * 2 * g * h
            for b in 0..<batch {
                var state = (0..<h).map { h0?[stateIndex(d, b) + $0] ?? 0 }
                var cell = (0..<h).map { c0?[stateIndex(d, b) + $0] ?? 0 }
                var xw = [Float](repeating: 0, count: g * h), hr = [Float](repeating: 0, count: g * h)
                let steps = reverse ? Array((0..<lengths[b]).reversed()) : Array(0..<lengths[b])
                for t in steps {
                    // X·Wᵀ + Wb and H·Rᵀ + Rb for every gate row.
                    let xi = xIndex(t, b)
                    for row in 0..<(g * h) {
                        var s: Float = bv.map { $0[bBase + row] } ?? 0
                        let wr = wBase + row * inputSize
                        for k in 0..<inputSize { s += xv[xi + k] * wv[wr + k] }
                        xw[row] = s
                        var u: Float = bv.map { $0[bBase + g * h + row] } ?? 0
                        let rr = rBase + row * h
                        for k in 0..<h { u += state[k] * rv[rr + k] }
                        hr[row] = u
                    }
                    switch spec.cell {
                    case .rnn:
                        for j in 0..<h { state[j] = f[0](clipped(xw[j] + hr[j])) }
                    case .gru:
                        // Gates z, r, h; the candidate's recurrent part is reset before or after R.
                        var candidateRecurrent = [Float](repeating: 0, count: h)
                        var z = [Float](repeating: 0, count: h)
                        for j in 0..<h {
                            z[j] = f[0](clipped(xw[j] + hr[j]))
                            let reset = f[0](clipped(xw[h + j] + hr[h + j]))
                            if spec.linearBeforeReset {
                                candidateRecurrent[j] = reset * hr[2 * h + j]
                            } else {
                                candidateRecurrent[j] = reset * state[j]
                            }
                        }
                        if !spec.linearBeforeReset {
                            // (r ⊙ H)·Rhᵀ + Rbh
                            let gated = candidateRecurrent
                            for j in 0..<h {
                                var u: Float = bv.map { $0[bBase + g * h + 2 * h + j] } ?? 0
                                let rr = rBase + (2 * h + j) * h
                                for k in 0..<h { u += gated[k] * rv[rr + k] }
                                candidateRecurrent[j] = u
                            }
                        }
                        for j in 0..<h {
                            let candidate = f[1](clipped(xw[2 * h + j] + candidateRecurrent[j]))
                            state[j] = (1 - z[j]) * candidate + z[j] * state[j]
                        }
                    case .lstm:
                        // Gates i, o, f, c; peepholes P = [Pi, Po, Pf].
                        for j in 0..<h {
                            let pi = pv.map { $0[d * 3 * h + j] } ?? 0, po = pv.map { $0[d * 3 * h + h + j] } ?? 0
                            let pf = pv.map { $0[d * 3 * h + 2 * h + j] } ?? 0
                            let input = f[0](clipped(xw[j] + hr[j] + pi * cell[j]))
                            let forget = spec.inputForget ? 1 - input : f[0](clipped(xw[2 * h + j] + hr[2 * h + j] + pf * cell[j]))
                            let candidate = f[1](clipped(xw[3 * h + j] + hr[3 * h + j]))
                            cell[j] = forget * cell[j] + input * candidate
                            let output = f[0](clipped(xw[h + j] + hr[h + j] + po * cell[j]))
                            state[j] = output * f[2](cell[j])
                        }
                    }
                    let yi = yIndex(t, d, b)
                    for j in 0..<h { y[yi + j] = state[j] }
                }
                let si = stateIndex(d, b)
                for j in 0..<h {
                    yh[si + j] = state[j]
                    yc[si + j] = cell[j]
                }
            }
        }
        let yShape = spec.layout == 0 ? [seq, dirs, batch, h] : [batch, seq, dirs, h]
        var outputs = [Tensor(shape: yShape, floats: y), Tensor(shape: stateShape, floats: yh)]
        if spec.cell == .lstm { outputs.append(Tensor(shape: stateShape, floats: yc)) }
        return outputs
    }
}
