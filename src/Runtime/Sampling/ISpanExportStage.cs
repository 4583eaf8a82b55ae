using OtelGen.Spans;

namespace OtelGen.Export;

/// <summary>
/// The seam between draining the ring and encoding: a stage sees every drained batch before it is
/// encoded and decides what goes out now (tail sampling will plug in here). Runs on the exporter's
/// thread only.
/// </summary>
public interface ISpanExportStage
{
    /// <summary>
    /// Gets the drained records <c>batch[0..count)</c>; moves the ones to export now to the front and
    /// returns how many. Records it neither returns nor holds count as filtered (dropped, reason
    /// <c>filtered</c>). A stage that holds spans for later must copy them (<see cref="SpanRecord.CopyTo"/>)
    /// or swap its own <see cref="SpanRecord"/> objects into the array: the exporter reuses the records.
    /// Return <paramref name="count"/> with <paramref name="held"/> 0 to pass everything through.
    /// </summary>
    int Process(SpanRecord[] batch, int count, out int held);

    /// <summary>
    /// Copies up to <c>batch.Length</c> held records that are now due (or all of them when
    /// <paramref name="final"/>, at shutdown) into <paramref name="batch"/>; returns how many.
    /// </summary>
    int Release(SpanRecord[] batch, bool final);
}
