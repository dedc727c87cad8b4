; The APU's DMC as the CPU sees it (NESdev wiki, "APU DMC"): $4010 sets the IRQ enable (bit 7;
; clearing it clears the flag), loop (bit 6) and rate (NTSC: index 15 = 54 cycles per bit, so
; 432 cycles per sample byte); $4012 = A gives the sample address $C000 + A * 64, $4013 = L the
; length L * 16 + 1. Writing $4015 with bit 4 set starts the sample only when no bytes remain
; (and the reader fills an empty sample buffer at once), with bit 4 clear stops it; any $4015
; write clears the DMC IRQ flag. $4015 reads bit 4 = bytes remain, bit 7 = the DMC IRQ flag, and
; reading does not clear it. The flag is set when the reader fetches the last byte of a sample
; without loop, IRQ enabled; the IRQ line stays asserted until the flag is cleared.
; A 17-byte sample: the load fetch comes right after the write, then one fetch per output cycle
; (432 cycles); the timer's phase is unknown to the program, so the 16th and last fetch is 6,481
; to 6,912 cycles (+ the DMA's own cycles) after the start.
; Checks (result code; on the core before the DMC existed, check 1 failed):
;   1  $4015 bit 4 reads 1 right after a 17-byte sample starts
;   2  about 6,000 cycles later bit 4 is still 1 and the IRQ flag (bit 7) still 0
;   3  about 7,700 cycles after the start bit 4 is 0 and the IRQ flag is 1
;   4  reading $4015 does not clear the IRQ flag
;   5  a $4015 write clears it
;   6  $4015 = $10 while a sample plays does not restart it (it ends on its first schedule)
;   7  a 1-byte sample: the load fetch right after the $4015 write ends it: the next
;      instruction's $4015 read sees bit 4 = 0 and the IRQ flag
;   8  with I clear the DMC IRQ is taken
;   9  a $4010 write with bit 7 clear clears the flag
;  10  a looping sample: 7,700 cycles after its start bit 4 is 1 and no IRQ flag
;  11  $4015 = $00 stops it: bit 4 reads 0 at once
  .include "shell.asm"

irq_count = $10

main:
  lda #<irq_handler
  sta irq_ptr
  lda #>irq_handler
  sta irq_ptr+1
  lda #$40
  sta $4017             ; no frame IRQ
  lda #0
  sta irq_count
  sta $4012             ; sample at $C000
  lda #$8F
  sta $4010             ; IRQ on, no loop, rate 15
  lda #$01
  sta $4013             ; 17 bytes
  lda #$10
  sta $4015
  lda $4015             ; 1
  and #$10
  bne @still_playing
  lda #1
  jmp finish
@still_playing:
  ldx #4
  jsr wait_x_1286
  ldy #150
  jsr wait_y5
  lda $4015             ; 2: about 6,000 cycles after the start
  and #$90
  cmp #$10
  beq @ended
  lda #2
  jmp finish
@ended:
  ldx #1
  jsr wait_x_1286
  ldy #80
  jsr wait_y5
  lda $4015             ; 3: about 7,700 cycles after the start
  and #$90
  cmp #$80
  beq @read_keeps
  lda #3
  jmp finish
@read_keeps:
  lda $4015             ; 4
  and #$80
  bne @write_clears
  lda #4
  jmp finish
@write_clears:
  lda #$00              ; 5
  sta $4015
  lda $4015
  and #$80
  beq @no_restart
  lda #5
  jmp finish
@no_restart:
  lda #$10              ; 6: start, and again about 3,900 cycles later
  sta $4015
  ldx #3
  jsr wait_x_1286
  lda #$10
  sta $4015
  ldx #3
  jsr wait_x_1286
  ldy #30
  jsr wait_y5           ; about 7,900 after the first start; 4,000 after the second
  lda $4015
  and #$10
  beq @one_byte
  lda #6
  jmp finish
@one_byte:
  ldx #1
  jsr wait_x_1286       ; the buffer's last byte is played: the buffer is empty
  lda #$00
  sta $4015             ; clear the flag of check 6's sample
  sta $4013             ; 1 byte
  lda #$10              ; 7
  sta $4015
  lda $4015
  and #$90
  cmp #$80
  beq @irq_taken
  lda #7
  jmp finish
@irq_taken:
  cli                   ; 8
  nop
  nop
  sei
  lda irq_count
  cmp #1
  beq @4010_clears
  lda #8
  jmp finish
@4010_clears:
  lda $4015             ; the handler left the flag set
  and #$80
  beq @fail8
  lda #$0F              ; 9
  sta $4010
  lda $4015
  and #$80
  beq @loop
  lda #9
  jmp finish
@fail8:
  lda #8
  jmp finish
@loop:
  lda #$CF              ; 10: IRQ on, loop, rate 15
  sta $4010
  lda #$01
  sta $4013
  lda #$10
  sta $4015
  ldx #6
  jsr wait_x_1286
  lda $4015
  and #$90
  cmp #$10
  beq @stop
  lda #10
  jmp finish
@stop:
  lda #$00              ; 11
  sta $4015
  lda $4015
  and #$10
  beq @done
  lda #11
  jmp finish
@done:
  jmp passed

; Counts the IRQ and returns with I set (the flag stays set: check 9 clears it).
irq_handler:
  inc irq_count
  pla
  ora #$04
  pha
  rti

; Waits 5 * Y - 1 cycles + JSR/RTS (Y = 1..255), Y = 0 after.
wait_y5:
  dey
  bne wait_y5
  rts
