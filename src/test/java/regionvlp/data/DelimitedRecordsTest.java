package regionvlp.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DelimitedRecordsTest {
  @TempDir Path dir;

  @Test
  void quotedLineBreaksMakeRecordsFewerThanLines() throws IOException {
    Path f = dir.resolve("t.tsv");
    Files.writeString(f, "a\tv1\n\"b\nc\"\tv2\n\nd\tv3"); // 5 physical lines (last unterminated), 3 records
    DelimitedRecords.Parsed p = DelimitedRecords.read(f, '\t');
    assertThat(p.physicalLines()).isEqualTo(5);
    assertThat(p.records()).extracting(DelimitedRecords.Record::line).containsExactly(1, 2, 5);
    assertThat(p.records().get(1).fields()).containsExactly("b\nc", "v2");
  }

  @Test
  void aBadlyEncodedFieldMarksItsRecordOnly() throws IOException {
    Path f = dir.resolve("t.tsv");
    byte[] bytes = {'o', 'k', '\t', 'v', '1', '\n', 'c', 'a', 'f', (byte) 0xE9, '\t', 'v', '2', '\n',
        (byte) 0xC3, (byte) 0xA9, 't', 'e', '\t', 'v', '3', '\n'};
    Files.write(f, bytes);
    List<DelimitedRecords.Record> r = DelimitedRecords.read(f, '\t').records();
    assertThat(r).hasSize(3);
    assertThat(r.get(0).fault()).isNull();
    assertThat(r.get(1).fault()).contains("field 1 is not valid UTF-8");
    assertThat(r.get(2).fault()).isNull();
    assertThat(r.get(2).fields().get(0)).isEqualTo("\u00e9te");
  }

  @Test
  void aByteOrderMarkIsDropped() throws IOException {
    Path f = dir.resolve("t.tsv");
    Files.write(f, new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 'x', '\t', 'y', '\n'});
    assertThat(DelimitedRecords.read(f, '\t').records().get(0).fields()).containsExactly("x", "y");
  }
}
