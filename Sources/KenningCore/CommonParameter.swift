/// Parameter names several blocks share (Kenning's JSON names), with the types they are read as.
public enum CommonParameter {
    public static let saveModelPath = ParameterKey<String>("save_model_path")
    public static let compiledModelPath = ParameterKey<String>("compiled_model_path")
    public static let modelPath = ParameterKey<String>("model_path")
    public static let datasetRoot = ParameterKey<String>("dataset_root")
    public static let inferenceBatchSize = ParameterKey<Int>("inference_batch_size")
    public static let splitSeed = ParameterKey<Int>("split_seed")
    public static let splitFractionTest = ParameterKey<Double>("split_fraction_test")
    public static let reduceDataset = ParameterKey<Double>("reduce_dataset")
    public static let batchSize = ParameterKey<Int>("batch_size")
    public static let disablePerformanceMeasurements = ParameterKey<Bool>("disable_performance_measurements")
    public static let datasetPercentage = ParameterKey<Double>("dataset_percentage")
    /// `booleanOrAuto`: nil for `"auto"`.
    public static let reduceRange = ParameterKey<Bool?>("reduce_range")
    /// An optimizer's `host` or `target` (run by the target's `kenning server`, over the scenario's protocol).
    public static let location = ParameterKey<String>("location")
}
