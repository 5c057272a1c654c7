import KenningCore
import KenningModel

/// Reference kernel: Einsum over any number of operands (explicit or implicit output, `...`, repeated labels).
extension Kernels {
    /// A parsed Einsum equation: each operand's labels and the output's, `...` expanded to private labels.
    struct EinsumEquation: Sendable {
        let operands: [[Character]]
        let output: [Character]

        init(_ equation: String, ranks: [Int]) throws {
            let text = equation.filter { !$0.isWhitespace }
            let sides = text.components(separatedBy: "->")
            guard sides.count <= 2 else { throw KernelError(reason: "Einsum equation \"\(equation)\" has more than one ->") }
            let terms = sides[0].components(separatedBy: ",")
            guard terms.count == ranks.count else {
                throw KernelError(reason: "Einsum equation \"\(equation)\" has \(terms.count) operand(s), the node \(ranks.count)")
            }
            // `...` stands for the same leading or inner dimensions in every operand: private labels "0", "1", …,
            // aligned to the right as broadcasting aligns them.
            let ellipsisRank = try zip(terms, ranks).map { term, rank -> Int in
                guard term.contains("...") else { return 0 }
                let explicit = term.replacingOccurrences(of: "...", with: "").count
                guard rank >= explicit else { throw KernelError(reason: "Einsum term \"\(term)\" has more labels than its operand's rank \(rank)") }
                return rank - explicit
            }.max() ?? 0
            let hidden = (0..<ellipsisRank).map { Character(UnicodeScalar(0x2460 + $0)!) }
            func expand(_ term: String, rank: Int?) throws -> [Character] {
                guard let range = term.range(of: "...") else { return Array(term) }
                let explicit = term.replacingOccurrences(of: "...", with: "").count
                let own = rank.map { $0 - explicit } ?? ellipsisRank
                return Array(term[..<range.lowerBound]) + hidden.suffix(own) + Array(term[range.upperBound...])
            }
            operands = try zip(terms, ranks).map { try expand($0, rank: $1) }
            for (labels, rank) in zip(operands, ranks) where labels.count != rank {
                throw KernelError(reason: "Einsum equation \"\(equation)\": a term has \(labels.count) labels for an operand of rank \(rank)")
            }
            for label in operands.flatMap({ $0 }) where !(label.isLetter || hidden.contains(label)) {
                throw KernelError(reason: "Einsum equation \"\(equation)\": \"\(label)\" is not a label")
            }
            if sides.count == 2 {
                output = try expand(sides[1], rank: nil)
            } else {
                // Implicit output: the ellipsis dimensions, then the labels seen once, in alphabetical order.
                let counts = Dictionary(operands.flatMap { $0 }.map { ($0, 1) }, uniquingKeysWith: +)
                output = hidden + counts.filter { $0.value == 1 && !hidden.contains($0.key) }.keys.sorted()
            }
            let all = Set(operands.flatMap { $0 })
            for label in output where !all.contains(label) {
                throw KernelError(reason: "Einsum equation \"\(equation)\": output label \"\(label)\" is in no operand")
            }
        }
    }

    static func einsum(_ equation: EinsumEquation, _ inputs: [Tensor]) throws -> Tensor {
        // Each label's size (broadcast 1s allowed), then the labels summed over.
        var size: [Character: Int] = [:]
        for (labels, t) in zip(equation.operands, inputs) {
            for (label, d) in zip(labels, t.shape) {
                if let known = size[label], known != d, known != 1, d != 1 {
                    throw KernelError(reason: "Einsum label \"\(label)\" is \(known) in one operand and \(d) in another")
                }
                size[label] = max(size[label] ?? 1, d)
            }
        }
        let summed = Array(Set(equation.operands.flatMap { $0 }).subtracting(equation.output)).sorted()
        let outShape = equation.output.map { size[$0] ?? 1 }, sumShape = summed.map { size[$0] ?? 1 }
        let outCount = outShape.reduce(1, *), innerCount = sumShape.reduce(1, *)
        let (total, overflow) = outCount.multipliedReportingOverflow(by: innerCount)
        guard !overflow, total <= 1 << 34 else { throw KernelError(reason: "Einsum of \(outCount) × \(innerCount) products is too large") }
        // Per operand, the stride each label moves it by (a repeated label adds up: the diagonal; a broadcast 1: 0).
        func strides(_ labels: [Character]) -> [[Int]] {
            zip(equation.operands, inputs).map { own, t in
                let step = Tensor.strides(of: t.shape)
                return labels.map { label in own.indices.filter { own[$0] == label && t.shape[$0] != 1 }.reduce(0) { $0 + step[$1] } }
            }
        }
        let outStrides = strides(equation.output), sumStrides = strides(summed)
        let values = inputs.map(\.floats)
        let n = inputs.count
        /// Advances a row-major index over `shape`, moving `offsets` by each operand's strides.
        func advance(_ index: inout [Int], _ shape: [Int], _ offsets: inout [Int], _ step: [[Int]]) {
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                for k in 0..<n { offsets[k] += step[k][axis] }
                if index[axis] < shape[axis] { return }
                for k in 0..<n { offsets[k] -= step[k][axis] * shape[axis] }
                index[axis] = 0
                axis -= 1
            }
        }
        var out = [Float](repeating: 0, count: outCount)
        var outIndex = [Int](repeating: 0, count: outShape.count), base = [Int](repeating: 0, count: n)
        for o in 0..<outCount {
            var s: Float = 0
            var sumIndex = [Int](repeating: 0, count: sumShape.count), offsets = base
            for _ in 0..<innerCount {
                var p: Float = 1
                for k in 0..<n { p *= values[k][offsets[k]] }
                s += p
                advance(&sumIndex, sumShape, &offsets, sumStrides)
            }
            out[o] = s
            advance(&outIndex, outShape, &base, outStrides)
        }
        return Tensor(shape: equation.output.map { size[$0] ?? 1 }, floats: out)
    }
}
