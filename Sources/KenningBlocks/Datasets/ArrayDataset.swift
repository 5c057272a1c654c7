import Foundation
import KenningCore

/// Samples from numpy arrays: an `.npz` archive (or one `.npy` file) whose arrays share their first dimension, one
/// sample per row — audio frames, tabular rows, token ids, pre-processed images. Several arrays feed several model
/// inputs (in the order of `inputs`, or the archive's); an optional integer array of labels makes it a classification
/// set. Without labels a run is judged by its fidelity to the unoptimized model.
public struct ArrayDataset: Dataset {
    enum Key {
        static let inputs = ParameterKey<[String]>("inputs")
        static let labels = ParameterKey<String>("labels")
        static let classNames = ParameterKey<[String]>("class_names")
    }

    public static let description = BlockDescription(
        kind: .dataset, name: "ArrayDataset",
        summary: "Samples from a .npz archive or a .npy file (one per row of the arrays' first dimension, any shape and dtype, several named inputs), with optional integer labels",
        parameters: DatasetParameters.common(root: nil) + [
            ParameterSpec(Key.inputs, .stringList, default: .null, nullable: true,
                          help: "The arrays that are the model's inputs, in the model's input order (default: every array but the labels, in the archive's order)"),
            ParameterSpec(Key.labels, .string, default: .null, nullable: true,
                          help: "The array of integer class labels, one per sample (default: \"labels\" when the archive has it; none: no accuracy, fidelity only)"),
            ParameterSpec(Key.classNames, .stringList, default: .null, nullable: true, help: "Class names (default: \"0\" … the largest label)"),
        ])

    public let classNames: [String]
    public let sampleShape: [Int]
    public let inputShapes: [[Int]]
    public let inputNames: [String]
    public let trainIndices: [Int]
    public let testIndices: [Int]
    public let batchSize: Int
    private let arrays: [NumpyArray]
    private let labels: [Int]

    public init(_ p: ResolvedParameters) throws(KenningError) {
        let path = p[CommonParameter.datasetRoot] ?? ""
        let all = try NumpyArray.read(path)
        let names = all.map(\.0)
        let labelName = p[Key.labels] ?? (names.contains("labels") ? "labels" : nil)
        let chosen = p[Key.inputs] ?? names.filter { $0 != labelName }
        var arrays: [NumpyArray] = []
        for name in chosen {
            guard let a = all.first(where: { $0.0 == name })?.1 else {
                throw .badInput("\(path) has no array \"\(name)\" (it has \(names.joined(separator: ", ")))", path: "$.parameters.inputs",
                                fix: "name arrays the archive holds")
            }
            arrays.append(a)
        }
        guard let rows = arrays.first?.shape.first, !arrays.isEmpty, rows > 0 else {
            throw .badInput("\(path) has no input arrays with samples (arrays: \(names.joined(separator: ", ")))", path: "$.parameters.inputs",
                            fix: "save the inputs with a first dimension of one row per sample")
        }
        for (name, a) in zip(chosen, arrays) where a.shape.first != rows {
            throw .badInput("array \"\(name)\" has \(a.shape.first ?? 0) rows, \"\(chosen[0])\" has \(rows): every input needs one row per sample",
                            path: "$.parameters.inputs", fix: "save arrays with the same first dimension")
        }
        if let labelName {
            guard let l = all.first(where: { $0.0 == labelName })?.1 else {
                throw .badInput("\(path) has no labels array \"\(labelName)\" (it has \(names.joined(separator: ", ")))", path: "$.parameters.labels",
                                fix: "name the labels array, or set labels to null")
            }
            guard l.values.count == rows, l.values.allSatisfy({ $0 >= 0 && $0 == $0.rounded() && $0 < 1e7 }) else {
                throw .badInput("labels \"\(labelName)\" must be \(rows) whole numbers ≥ 0, one per sample (shape \(l.shape), dtype \(l.dtype))",
                                path: "$.parameters.labels", fix: "save one integer class per sample")
            }
            labels = l.values.map { Int($0) }
        } else {
            labels = [Int](repeating: 0, count: rows)
        }
        let classes = labelName == nil ? 0 : (labels.max() ?? 0) + 1
        let given = p[Key.classNames]
        if let given, given.count < classes {
            throw .badInput("class_names has \(given.count) names, the labels go up to \(classes - 1)", path: "$.parameters.class_names",
                            fix: "give one name per class")
        }
        classNames = given ?? (0..<classes).map(String.init)
        self.arrays = arrays
        inputNames = chosen
        inputShapes = arrays.map { Array($0.shape.dropFirst()) }
        sampleShape = inputShapes.count == 1 ? inputShapes[0] : [inputShapes.reduce(0) { $0 + $1.reduce(1, *) }]
        batchSize = p[CommonParameter.inferenceBatchSize]
        (trainIndices, testIndices) = DatasetParameters.split(labels: labels, p)
    }

    public func sample(_ index: Int) -> [Float] {
        var out: [Float] = []
        for (a, shape) in zip(arrays, inputShapes) {
            let per = shape.reduce(1, *)
            out += a.values[(index * per)..<((index + 1) * per)]
        }
        return out
    }

    public func label(_ index: Int) -> Int { labels[index] }
}
